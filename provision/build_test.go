package provision

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
)

// TestPartitionARNs: the S3 ARNs in every policy follow the account's
// partition, offline (from the region) and connected (from STS).
func TestPartitionARNs(t *testing.T) {
	s, err := ParseSpec("/specs/p.yaml", []byte(`
version: 1
stack: p
region: cn-north-1
bucket:
  name: artifacts-bucket
  writers: [{principal: "arn:aws-cn:iam::111122223333:root", prefix: assets/}]
access:
  - {name: cache, grant: cache, user: ci, write: {aws_profile: ci}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, acct := range map[string]awsapi.Account{
		"aws-cn offline": awsapi.Offline("cn-north-1", "", "", nil),
		"aws-us-gov":     {ID: "123456789012", Partition: "aws-us-gov", Region: "us-gov-west-1"},
	} {
		t.Run(name, func(t *testing.T) {
			st, err := Build(s, acct, BuildOptions{})
			if err != nil {
				t.Fatal(err)
			}
			docs := st.Grants["cache"].JSON() + st.BucketPolicy.JSON()
			want := "arn:" + acct.Partition + ":s3:::artifacts-bucket"
			if !strings.Contains(docs, want) || strings.Contains(docs, "arn:aws:s3:::") {
				t.Errorf("policies do not use %s:\n%s", want, docs)
			}
			if got := acct.IAMARN("policy/x"); !strings.HasPrefix(got, "arn:"+acct.Partition+":iam::") {
				t.Errorf("IAM ARN %s", got)
			}
		})
	}
	// Replication stays within one partition.
	r, err := ParseSpec("/specs/r.yaml", []byte(`
version: 1
stack: r
region: cn-north-1
bucket:
  name: artifacts-bucket
  replication: {destination: "arn:aws:s3:::other-bucket"}
access:
  - {name: cache, grant: cache, user: ci, write: {aws_profile: ci}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Offline(r, BuildOptions{}); err == nil || !strings.Contains(err.Error(), "is in partition aws, but the account is in aws-cn") {
		t.Errorf("a destination in another partition: %v", err)
	}
	for region, want := range map[string]string{"cn-northwest-1": "aws-cn", "us-gov-east-1": "aws-us-gov", "eu-west-1": "aws", "": "aws"} {
		if got := awsapi.PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%q) = %s, want %s", region, got, want)
		}
	}
}

// recordingFS is the real file system, recording every write and remove
// that reaches it.
type recordingFS struct {
	localfile.OS
	mu     sync.Mutex
	writes []string
}

func (r *recordingFS) WriteFile(path string, data []byte, perm fs.FileMode) error {
	r.mu.Lock()
	r.writes = append(r.writes, "write "+path)
	r.mu.Unlock()
	return r.OS.WriteFile(path, data, perm)
}

func (r *recordingFS) Remove(path string) error {
	r.mu.Lock()
	r.writes = append(r.writes, "remove "+path)
	r.mu.Unlock()
	return r.OS.Remove(path)
}

func (r *recordingFS) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.writes
	r.writes = nil
	return w
}

// snapshot is every file below dir with its content and modification
// time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = info.ModTime().String() + "\n" + string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlanWritesNoFile is the file-system twin of the call counter: on a
// fresh machine, over drifted files and for teardown, planning reaches no
// write or remove of the file system and changes no byte or mtime, while
// applying the same stack's plan does write (so the recorder works).
func TestPlanWritesNoFile(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	rec := &recordingFS{}
	build := func() *Stack {
		st, err := Build(s, e.c.Account, BuildOptions{Files: e.files, FS: rec})
		if err != nil {
			t.Fatal(err)
		}
		st.Connect(e.c)
		return st
	}
	plan := func(st *Stack, mode engine.Mode) *engine.Plan {
		t.Helper()
		before := snapshot(t, e.dir)
		p, err := st.Plan(e.ctx, mode, engine.PlanOptions{Parallelism: 4})
		if err != nil {
			t.Fatal(err)
		}
		if w := rec.take(); len(w) > 0 {
			t.Errorf("planning wrote: %v", w)
		}
		if diff := cmp.Diff(before, snapshot(t, e.dir)); diff != "" {
			t.Errorf("planning changed files (-before +after):\n%s", diff)
		}
		return p
	}

	st := build()
	p := plan(st, engine.ModeApply)
	if !p.HasChanges() {
		t.Fatal("a fresh stack has nothing to create")
	}
	if err := st.Apply(e.ctx, p, engine.Executor{Parallelism: 4}); err != nil {
		t.Fatal(err)
	}
	if len(rec.take()) == 0 {
		t.Fatal("applying wrote no file: the recorder sees nothing")
	}

	// Drift in every kind of file: the agent's bucket, the profile's
	// region, the credentials removed.
	agent := filepath.Join(e.dir, "agent", "config.yaml")
	writeFile(t, agent, strings.ReplaceAll(readFile(t, agent), "semaphore-cache", "other-bucket"))
	writeFile(t, e.files.Config, strings.ReplaceAll(readFile(t, e.files.Config), "us-east-1", "eu-west-1"))
	writeFile(t, e.files.Credentials, "")
	if p := plan(build(), engine.ModeApply); !p.HasChanges() {
		t.Error("drifted files show no change")
	}
	if p := plan(build(), engine.ModeDestroy); !p.HasChanges() {
		t.Error("teardown plan has nothing to destroy")
	}
}

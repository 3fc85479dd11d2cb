package awsapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/awsboot/awsboot/provision/mototest"
)

// isolate points the SDK's defaults away from the developer's setup.
func isolate(t *testing.T, id, secret string) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
		"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
}

// TestConnectErrorsSayWhatToDo: the first errors a newcomer meets are one
// line each, matching a sentinel, saying what is wrong and what to do.
func TestConnectErrorsSayWhatToDo(t *testing.T) {
	ctx := context.Background()
	quick := 5 * time.Millisecond

	t.Run("no credentials", func(t *testing.T) {
		isolate(t, "", "")
		_, err := Connect(ctx, ConnectOptions{Endpoint: "http://127.0.0.1:9", MaxBackoff: quick})
		if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "aws configure") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("unreachable endpoint", func(t *testing.T) {
		isolate(t, "AKIAEXAMPLE", "secret")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		ln.Close()
		_, err = Connect(ctx, ConnectOptions{Endpoint: url, MaxBackoff: quick})
		if !errors.Is(err, ErrEndpointUnreachable) || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "--endpoint-url") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("no STS or IAM API", func(t *testing.T) {
		isolate(t, "AKIAEXAMPLE", "secret")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNotImplemented)
			_, _ = w.Write([]byte(`<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message></Error>`))
		}))
		defer srv.Close()
		_, err := Connect(ctx, ConnectOptions{Endpoint: srv.URL, MaxBackoff: quick})
		if !errors.Is(err, ErrNoIAMAPI) || !strings.Contains(err.Error(), "iam_endpoint") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("a shared file the SDK's parser panics on", func(t *testing.T) {
		isolate(t, "AKIAEXAMPLE", "secret")
		if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[default]\nregion = \"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Connect(ctx, ConnectOptions{Endpoint: "http://127.0.0.1:9", MaxBackoff: quick})
		if err == nil || !strings.Contains(err.Error(), "lone double quote") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("refused key", func(t *testing.T) {
		if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
			t.Skip("needs moto")
		}
		srv, err := mototest.Start(mototest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Stop()
		if err := srv.EnforceIAM(); err != nil {
			t.Fatal(err)
		}
		isolate(t, "AKIAINVALIDEXAMPLE00", "not-a-secret")
		_, err = Connect(ctx, ConnectOptions{Endpoint: srv.URL, MaxBackoff: quick})
		if !errors.Is(err, ErrCredentialsRefused) || !strings.Contains(err.Error(), "AWS_PROFILE") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestRetryModeDefaultsToAdaptive: without AWS_RETRY_MODE the clients use
// the SDK's adaptive retryer (client-side rate limiting after throttling)
// and DefaultMaxAttempts; AWS_RETRY_MODE and AWS_MAX_ATTEMPTS still win.
func TestRetryModeDefaultsToAdaptive(t *testing.T) {
	if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
		t.Skip("needs moto")
	}
	srv, err := mototest.Start(mototest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	for _, tc := range []struct {
		mode, attempts string
		wantAdaptive   bool
		wantAttempts   int
	}{
		{"", "", true, DefaultMaxAttempts},
		{"standard", "", false, DefaultMaxAttempts},
		{"adaptive", "7", true, 7},
	} {
		t.Run("AWS_RETRY_MODE="+tc.mode, func(t *testing.T) {
			isolate(t, "AKIAEXAMPLE", "secret")
			t.Setenv("AWS_RETRY_MODE", tc.mode)
			t.Setenv("AWS_MAX_ATTEMPTS", tc.attempts)
			c, err := Connect(context.Background(), ConnectOptions{Endpoint: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			r := c.IAM.(*iam.Client).Options().Retryer
			// AWS_MAX_ATTEMPTS wraps the mode's retryer (retry.AddWithMaxAttempts).
			inner := any(r)
			if v := reflect.ValueOf(r); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
				if f := v.Elem().FieldByName("RetryerV2"); f.IsValid() {
					inner = f.Interface()
				}
			}
			_, adaptive := inner.(*retry.AdaptiveMode)
			if adaptive != tc.wantAdaptive || r.MaxAttempts() != tc.wantAttempts {
				t.Errorf("IAM retryer %T with %d attempts; want adaptive %v, %d attempts", r, r.MaxAttempts(), tc.wantAdaptive, tc.wantAttempts)
			}
		})
	}
}

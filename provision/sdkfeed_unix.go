//go:build unix

package provision

import (
	"os"
	"strconv"
	"syscall"
)

// feedDir names the open descriptors of this process: opening
// feedDir/N reads descriptor N's pipe (a new open of the pipe on Linux,
// a copy of the descriptor elsewhere). Tests change it.
var feedDir = "/dev/fd/"

// pipe makes a pipe whose ends are in blocking mode and closed on exec.
// Blocking matters on macOS, where opening /dev/fd/N shares the
// descriptor's mode with the SDK's os.Open, which does not poll pipes
// there; os.Pipe's ends are non-blocking.
func pipe() (r, w *os.File, path string, err error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err = syscall.Pipe(p[:])
	if err == nil {
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, "", os.NewSyscallError("pipe", err)
	}
	return os.NewFile(uintptr(p[0]), "|0"), os.NewFile(uintptr(p[1]), "|1"), feedDir + strconv.Itoa(p[0]), nil
}

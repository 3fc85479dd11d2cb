// Command awsboot turns the manual "set up AWS for your CI" guides into one
// declarative spec and three commands: plan, bootstrap and teardown.
package main

import "os"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args, defaultEnv()))
}

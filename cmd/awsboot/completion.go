package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// Shell completion. bash and zsh ask the binary itself what may come next:
// urfave/cli answers `awsboot <words so far> --generate-bash-completion`
// with completeWords, one candidate a line, and the script keeps those
// that start with the word being typed. A flag is offered only once a
// dash is typed; where nothing is offered the shell completes file names
// (the spec, -f's value). fish gets a static script from urfave/cli's
// ToFishCompletion.

// completionShells are the shells `awsboot completion` writes a script for.
var completionShells = []string{"bash", "zsh", "fish"}

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Description: "bash: source <(awsboot completion bash), or save it as ~/.local/share/bash-completion/completions/awsboot\n" +
			"zsh:  awsboot completion zsh > \"${fpath[1]}/_awsboot\" (or source it after compinit)\n" +
			"fish: awsboot completion fish > ~/.config/fish/completions/awsboot.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return cli.Exit("Error: name one shell: awsboot completion bash|zsh|fish", exitError)
			}
			return writeCompletion(c.App, c.Args().First(), c.App.Writer)
		},
		BashComplete: func(c *cli.Context) {
			for _, s := range completionShells {
				fmt.Fprintln(c.App.Writer, s)
			}
		},
	}
}

// writeCompletion writes the completion script for shell.
func writeCompletion(app *cli.App, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		_, err := io.WriteString(w, bashCompletion)
		return err
	case "zsh":
		_, err := io.WriteString(w, zshCompletion)
		return err
	case "fish":
		// ToFishCompletion adds --help and --version itself: leave out
		// the app's own copies, or fish lists them twice.
		fish := *app
		fish.Flags = nil
		for _, f := range app.Flags {
			if f != cli.HelpFlag && f != cli.VersionFlag {
				fish.Flags = append(fish.Flags, f)
			}
		}
		s, err := fish.ToFishCompletion()
		if err != nil {
			return fmt.Errorf("writing the fish completion: %w", err)
		}
		_, err = io.WriteString(w, s)
		return err
	}
	return cli.Exit(fmt.Sprintf("Error: no completion for %q: awsboot writes one for bash, zsh and fish", shell), exitError)
}

// completeWords is every command's (and the app's) answer to
// --generate-bash-completion: the names of its visible subcommands, then
// those of its visible flags with their dashes. The script filters them.
func completeWords(c *cli.Context) {
	for _, name := range commandNames(c.Command.Subcommands) {
		if len(name) > 1 { // not the one-letter aliases
			fmt.Fprintln(c.App.Writer, name)
		}
	}
	for _, name := range flagNames(c.Command.Flags) {
		fmt.Fprintln(c.App.Writer, dashed(name))
	}
}

// completeCommandNames completes `awsboot help <command>`.
func completeCommandNames(c *cli.Context) {
	for _, name := range commandNames(c.App.Commands) {
		if len(name) > 1 {
			fmt.Fprintln(c.App.Writer, name)
		}
	}
}

const bashCompletion = `# bash completion for awsboot.
#   source <(awsboot completion bash)
# or save it as ~/.local/share/bash-completion/completions/awsboot.
# awsboot itself lists what may come next (--generate-bash-completion).
_awsboot_complete() {
    local cur=${COMP_WORDS[COMP_CWORD]} word
    COMPREPLY=()
    while IFS= read -r word; do
        # Flags only once a dash is typed; file names otherwise (-o default).
        [[ $word == -* && $cur != -* ]] && continue
        [[ $word == "$cur"* ]] && COMPREPLY+=("$word")
    done < <("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" --generate-bash-completion 2>/dev/null)
}
complete -o default -F _awsboot_complete awsboot
`

const zshCompletion = `#compdef awsboot
# zsh completion for awsboot.
#   awsboot completion zsh > "${fpath[1]}/_awsboot"
# or, after compinit: source <(awsboot completion zsh)
# awsboot itself lists what may come next (--generate-bash-completion).
_awsboot() {
  local -a words_next
  words_next=(${(f)"$(${words[1]} ${(Q)words[2,CURRENT-1]} --generate-bash-completion 2>/dev/null)"})
  # Flags only once a dash is typed.
  [[ $PREFIX != -* ]] && words_next=(${words_next:#-*})
  if (( ${#words_next} )); then
    compadd -a words_next
  else
    _files
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _awsboot "$@"
else
  compdef _awsboot awsboot
fi
`

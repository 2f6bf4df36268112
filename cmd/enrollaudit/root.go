package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/fileerr"
)

// Exit codes (README "Exit codes").
const (
	exitOK          = 0   // the audit ran, findings or not
	exitFindings    = 1   // findings at or above --fail-on
	exitError       = 2   // bad usage, unreadable input, invalid mapping or rule file, too many rejects
	exitInterrupted = 130 // stopped by Ctrl-C or SIGTERM; no report written
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// env is what every command gets: the streams and the diagnostics logger.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            zerolog.Logger
	quiet          bool
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return mainContext(ctx, args, stdin, stdout, stderr)
}

// mainContext is Main under a context that an interrupt cancels.
func mainContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr,
		log: zerolog.New(zerolog.ConsoleWriter{Out: stderr, NoColor: true, PartsExclude: []string{zerolog.TimestampFieldName}}).With().Logger()}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(err)
	if err != nil && ctx.Err() != nil {
		// Interrupted: whatever failed after that (a rule check, a load)
		// failed because of it, and is no news to the user.
		code = exitInterrupted
	}
	if err != nil && !errors.Is(err, errFindings) {
		switch {
		case code == exitInterrupted:
			fmt.Fprintln(stderr, "enrollaudit: interrupted; no report was written (earlier reports are as they were)")
		case errors.As(err, new(*audit.UsageError)):
			fmt.Fprintf(stderr, "enrollaudit: usage: %v\nrun '%s --help' for usage\n", err, cmd.CommandPath())
		default:
			fmt.Fprintf(stderr, "enrollaudit: %v\n", err)
		}
	}
	return code
}

// errFindings: the audit ran and found problems at or above --fail-on.
var errFindings = errors.New("findings at or above --fail-on")

// exitCode maps an error to the process exit code; the one place that does.
func exitCode(err error) int {
	var fe *fileerr.Error
	var fl fileerr.List
	var rj *audit.RejectsError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, new(*audit.UsageError)), errors.As(err, &fe), errors.As(err, &fl), errors.As(err, &rj):
		return exitError
	}
	return exitError
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "enrollaudit",
		Short: "Check that marketplace enrollments reached the insurers intact",
		Long: `enrollaudit reconciles a health-insurance marketplace's enrollment records against
insurers' rosters, record by record, and reports every missing enrollment, wrong plan,
wrong subsidy, premium, date, status or demographic, in people and in dollars.`,
		Version:       toolVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVarP(&e.quiet, "quiet", "q", false, "no progress bars or informational messages on stderr (warnings and errors still show)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return audit.Usagef("%v", err) })
	root.AddCommand(newRunCmd(e), newRulesCmd(e), newConvertCmd(e), newGenerateCmd(e))
	root.AddCommand(newHistoryCmd(e), newPublishCmd(e), newDispositionsCmd(e))
	return root
}

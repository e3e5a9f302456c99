package peer

import (
	"fmt"
	"log/slog"
	"os"
)

// GnetLogger sends gnet's warnings and errors to slog (on stderr) and drops
// the rest: gnet's default logger writes to stdout, which serve reserves
// for its ready line. Use it with gnet.WithLogger.
type GnetLogger struct{}

func (GnetLogger) Debugf(string, ...any)        {}
func (GnetLogger) Infof(string, ...any)         {}
func (GnetLogger) Warnf(f string, args ...any)  { slog.Warn("gnet: " + fmt.Sprintf(f, args...)) }
func (GnetLogger) Errorf(f string, args ...any) { slog.Error("gnet: " + fmt.Sprintf(f, args...)) }
func (GnetLogger) Fatalf(f string, args ...any) {
	slog.Error("gnet: fatal: " + fmt.Sprintf(f, args...))
	os.Exit(1)
}

// NBIOLogger sends nbio's warnings and errors to slog (on stderr) and drops
// the rest. nbio logs through one package-level logger, which writes to
// stdout by default: set it with logging.SetLogger(peer.NBIOLogger{}).
type NBIOLogger struct{}

func (NBIOLogger) Debug(string, ...any)        {}
func (NBIOLogger) Info(string, ...any)         {}
func (NBIOLogger) Warn(f string, args ...any)  { slog.Warn("nbio: " + fmt.Sprintf(f, args...)) }
func (NBIOLogger) Error(f string, args ...any) { slog.Error("nbio: " + fmt.Sprintf(f, args...)) }

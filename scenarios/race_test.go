//go:build race

package scenarios

// raceDetector is true in a -race build. Reading every message back (MIME
// parsing, JPEG decoding) under the race detector costs half a minute and
// checks nothing about races; make test reads them in the gate's two
// passes, which run without it.
const raceDetector = true

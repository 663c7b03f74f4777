//go:build race

package scenarios

// raceDetector is true in a -race build. Playing the whole library again
// and again under the race detector costs a minute (JPEG encoding and MIME
// parsing instrumented); the tests that only replay it (determinism, message
// form) skip there, and make test runs them without it, twice, shuffled, on
// one CPU. TestScenarios still plays every scenario under the detector.
const raceDetector = true

//go:build race

package fakesmtp_test

// raceDetector is true in a -race build, where the load test runs smaller:
// the full size runs without it (make test does both).
const raceDetector = true

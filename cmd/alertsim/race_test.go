//go:build race

package main

// raceDetector is true in a -race build, where the memory test does not
// run: make test runs it without the race detector.
const raceDetector = true

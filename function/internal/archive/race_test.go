//go:build race

package archive_test

// raceEnabled: the race detector multiplies memory use, so RSS limits do
// not hold under it.
const raceEnabled = true

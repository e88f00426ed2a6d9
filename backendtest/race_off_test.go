//go:build !race

package backendtest_test

// raceEnabled is set when the tests run with -race, which makes sync.Pool
// drop what it is given at random: allocation counts then grow.
const raceEnabled = false

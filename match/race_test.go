//go:build race

package match

// raceEnabled: the race detector drops sync.Pool items at random, so
// memory taken from a pool is sometimes allocated anew.
const raceEnabled = true

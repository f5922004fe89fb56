package firehose

import (
	"testing"

	"earshot/enrich/geo"
)

// The ground truth assumes earshot's gazetteer reads every profile-location
// variant and every place name the generator writes as its city's country,
// and every junk string as no location. This test holds the two together.
func TestProfileLocationsGeocode(t *testing.T) {
	gz, err := geo.LoadGazetteer(geo.GazetteerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cities {
		for _, v := range c.Variants {
			if m := gz.Geocode(v); m.Country != c.Country {
				t.Errorf("%q (%s): gazetteer says %q (%+v), want %s", v, c.Name, m.Country, m, c.Country)
			}
		}
	}
	// A place whose country code is unusable is located by its name.
	for _, c := range cities {
		if m := gz.Geocode(c.Name); m.Country != c.Country {
			t.Errorf("place name %q: gazetteer says %q, want %s", c.Name, m.Country, c.Country)
		}
	}
	for _, j := range junkLocations {
		if m := gz.Geocode(j); m.Level != geo.LevelNone {
			t.Errorf("junk %q geocodes to %+v, want nothing", j, m)
		}
	}
}

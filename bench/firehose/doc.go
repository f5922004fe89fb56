// Package firehose generates a realistic, seeded synthetic social-media
// firehose of canonical post JSON together with its exact ground truth.
//
// Posts are multilingual (en, es, pt, id, it, ja, zh; about 10% omit lang)
// with hashtags, @handles, short links, emoji, numbers and occasional ALL
// CAPS; they come from a pool of authors with heavy-tailed followers, profile
// locations (real-city spellings and junk) and a few zombie-like accounts.
// Some originals carry GPS coordinates near one of the built-in cities or a
// place; about 20% of posts are reposts ("RT @author: …") of recent
// originals, replies and quotes reference earlier posts, about 1% of
// messages are byte-identical duplicates, and about 1% of posts have an
// optional field of the wrong type. Bursts add extra matching posts from
// one country during a window of event time.
//
// Ground truth is correct by construction: a configurable fraction of
// originals plants 1–3 rule terms, background vocabularies share no word
// (and no CJK character) with the rules, and every generated text is checked
// with a matcher equivalent to NaiveMatch to match exactly the planted set
// before it is emitted (otherwise it is regenerated, see Stats). Truth then
// counts mentions, originals, reposts and distinct authors per rule, per
// rule and minute, and per rule and country.
//
// Everything is a function of Config: the same Config gives the same bytes,
// and event time advances by 1/Rate per post from Config.Start, never from
// the wall clock. A Generator is not safe for concurrent use.
//
// The package exports no Prometheus metrics.
package firehose

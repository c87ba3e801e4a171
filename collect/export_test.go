package collect

// SetAfterPage installs a hook that runs after every page that has a
// continuation, so tests can make the continue token expire.
func SetAfterPage(o *LiveOptions, f func(continueToken string)) { o.afterPage = f }

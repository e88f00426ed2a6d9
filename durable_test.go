package charter_test

// durableBackends lists the persistent backends; see backends.
func durableBackends() []backend { return nil }

// CI sets CI=true, and Ink then renders only the last frame (is-in-ci). The cockpit's
// tests read every frame, as a terminal would, so they run with CI unset.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;

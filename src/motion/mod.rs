//! Motion transfer: the driver's head pose and expression, relative to a neutral driver frame,
//! applied to the portrait's landmarks and smoothed over time.

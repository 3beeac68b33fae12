//! Nothing to build: this package only names the crate that carries the AppImage runtime.

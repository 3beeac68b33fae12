//! The daily summary report (filled in below).

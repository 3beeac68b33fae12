//! Unit tests of the Alipay channel.

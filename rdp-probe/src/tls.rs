//! Placeholder: owned by its issue.

// Brings cdktf's jest matcher declarations (toHaveResourceWithProperties, ...) into the type-check.
import 'cdktf/lib/testing/adapters/jest';

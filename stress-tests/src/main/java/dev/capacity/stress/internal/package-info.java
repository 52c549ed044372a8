/**
 * Not API: the machinery of the library's own proof (the race harness, its plans and clients, the
 * history checker, the multi-process race, the embedded servers). The kit's API is
 * {@link dev.capacity.stress}; anything here may change in any release.
 */
package dev.capacity.stress.internal;

/**
 * Not API: helpers that the capacity modules share (argument checks, the retry budget, event
 * delivery). Anything here may change or go in any release; applications must not use it. The
 * module exports it only to {@code dev.capacity.jdbc}.
 */
package dev.capacity.internal;

/**
 * Frontends compile user input (a Dockerfile first) into definitions; the Dockerfile one is next.
 */
package dev.kiln.frontend;

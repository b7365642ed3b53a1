/**
 * Crash recovery shared by the batch runner and the bus ingress: work is taken on under a request id kept
 * with it before the call, and interrupted work is looked up by that id ({@link
 * ai.infrastack.gateway.recovery.ChargedCallLookup}) before it is run again, so a call already answered and
 * charged is neither sent nor charged a second time.
 */
package ai.infrastack.gateway.recovery;

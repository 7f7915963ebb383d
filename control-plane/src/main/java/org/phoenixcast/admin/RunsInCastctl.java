package org.phoenixcast.admin;

/**
 * Marks commands whose castctl side does work of its own (reading a file, running a process in
 * a sandbox) instead of forwarding the command line unchanged to castd.
 */
interface RunsInCastctl {}

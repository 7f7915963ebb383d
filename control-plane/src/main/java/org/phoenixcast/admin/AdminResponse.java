package org.phoenixcast.admin;

/** castd's answer: the command's exit code and what it printed. JSON on the wire. */
public record AdminResponse(int exit, String out, String err) {}

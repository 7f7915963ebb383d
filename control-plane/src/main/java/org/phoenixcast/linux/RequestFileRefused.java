package org.phoenixcast.linux;

/** An entry in a drop directory that castd will not read, with a reason fit for the guest. */
public class RequestFileRefused extends Exception {
    private static final long serialVersionUID = 1L;

    public RequestFileRefused(String reason) {
        super(reason);
    }
}

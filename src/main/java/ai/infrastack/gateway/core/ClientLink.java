package ai.infrastack.gateway.core;

/**
 * Whether the client of the request this thread is serving is still connected, and what to cancel
 * when it leaves: the upstream call in flight. The HTTP server binds one to each request's thread
 * and marks the client gone from its event loop; the upstream HTTP client registers each call.
 */
public final class ClientLink {
    private static final ThreadLocal<ClientLink> CURRENT = new ThreadLocal<>();

    private volatile boolean gone;
    private volatile Runnable upstream;

    /** The link of the request this thread serves, or null off a request thread. */
    public static ClientLink current() {
        return CURRENT.get();
    }

    public static void bind(ClientLink link) {
        if (link == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(link);
        }
    }

    public boolean gone() {
        return gone;
    }

    /** The client disconnected: the upstream call, if one is running, is cancelled at once. */
    public void clientGone() {
        gone = true;
        Runnable cancel = upstream;
        if (cancel != null) {
            cancel.run();
        }
    }

    /** Registers how to cancel the running upstream call; cancels it at once if the client is already gone. */
    public void upstream(Runnable cancel) {
        upstream = cancel;
        if (cancel != null && gone) {
            cancel.run();
        }
    }
}

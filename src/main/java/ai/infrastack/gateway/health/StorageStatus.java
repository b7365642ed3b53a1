package ai.infrastack.gateway.health;

/**
 * What health reports of storage: whether the database answered the request log's last attempt,
 * and the request-log rows not yet in it — waiting in memory, spilled to the local file while the
 * database was down, and lost for want of room.
 */
public record StorageStatus(boolean databaseUp, String engine, long buffered, long spilled, long dropped) {
    /** Where health reads it from (bound by the request log's configuration). */
    public interface Source {
        StorageStatus storageStatus();
    }
}

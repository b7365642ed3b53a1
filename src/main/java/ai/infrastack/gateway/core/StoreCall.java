package ai.infrastack.gateway.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;

/** A call to a database-backed store on an API's path. */
@FunctionalInterface
public interface StoreCall<T> {
    T run() throws SQLException;

    /** Runs it; a database failure is a 503 the client can retry, its details go only to the log. */
    static <T> T answering(String store, StoreCall<T> call) {
        try {
            return call.run();
        } catch (SQLException e) {
            LoggerFactory.getLogger(StoreCall.class).warn("The {} failed: {}", store, e.toString());
            throw GatewayException.of(ErrorType.SERVER, "The " + store + " is unavailable right now; try again shortly")
                    .status(503).code("database_unavailable").build();
        }
    }
}

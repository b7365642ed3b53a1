package ai.infrastack.gateway.bus;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ai.infrastack.gateway.storage.OlderThanPurge;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Forgets bus messages taken on longer ago than the retention: their idempotent-consumer records
 * ({@code processed_message}) and their kept answers ({@code bus_result}), together, so a message is either
 * remembered with its answer or not at all. A message redelivered after that is a new message: run and
 * charged again. The retention is the longest a broker may redeliver (or a sender resend a custom_id
 * expecting its first answer). Run by the bus-retention timer (routes/bus-requests.yaml).
 */
public final class BusRetention {
    private static final Logger LOG = LoggerFactory.getLogger(BusRetention.class);
    private final OlderThanPurge purge;

    public BusRetention(DataSource dataSource, Duration retention, Clock clock) {
        // A row taken over recently (created_at renewed) stays; its processed_message may go first,
        // which only makes a later redelivery look first-seen and find this row (answered from it).
        this.purge = new OlderThanPurge(dataSource, retention, clock, List.of(
                "DELETE FROM processed_message WHERE created_at < ?",
                "DELETE FROM bus_result WHERE created_at < ?"), 0);
    }

    /** Returns how many messages' records went (processed_message rows). */
    public int purge() throws SQLException {
        Timestamp cutoff = purge.cutoff();
        int messages = purge.purge(cutoff);
        if (messages > 0) {
            LOG.info("Forgot {} bus message(s) taken on before {}", messages, cutoff.toInstant());
        }
        return messages;
    }
}

package ai.infrastack.gateway.bus;

import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;
import org.springframework.dao.DuplicateKeyException;

import javax.sql.DataSource;

/**
 * The idempotent consumer's memory of the messages a bus route has taken on: camel-sql's JDBC
 * repository on our own database and its Flyway-managed {@code processed_message} table (the SQL
 * is the subset H2 and PostgreSQL share). camel-sql brings its own Spring transaction template
 * over the given DataSource; nothing else of Spring is needed.
 */
public class ProcessedMessageRepository extends JdbcMessageIdRepository {

    public ProcessedMessageRepository(DataSource dataSource, String processorName) {
        super(dataSource, processorName);
        setCreateTableIfNotExists(false); // a migration owns the table
        setTableExistsString("SELECT 1 FROM processed_message WHERE 1 = 0");
        setQueryString("SELECT COUNT(*) FROM processed_message WHERE processor_name = ? AND message_id = ?");
        setInsertString("INSERT INTO processed_message (processor_name, message_id, created_at) VALUES (?, ?, ?)");
        setDeleteString("DELETE FROM processed_message WHERE processor_name = ? AND message_id = ?");
        setClearString("DELETE FROM processed_message WHERE processor_name = ?");
    }

    /**
     * camel-sql checks, then inserts. When another instance inserts the same id in between, the
     * primary key refuses ours: that message is a duplicate, not a failure.
     */
    @Override
    public boolean add(String key) {
        try {
            return super.add(key);
        } catch (DuplicateKeyException takenByAnotherInstance) {
            return false;
        }
    }
}

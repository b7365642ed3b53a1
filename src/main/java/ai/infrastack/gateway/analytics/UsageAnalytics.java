package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.api.ErrorType;
import ai.infrastack.gateway.api.GatewayException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import javax.sql.DataSource;

/** {@code GET /api/v1/analytics/usage}: usage and cost over a period, from the request log. */
public final class UsageAnalytics implements Processor {
    private final DataSource dataSource;
    private final ObjectMapper mapper;

    public UsageAnalytics(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) {
        throw GatewayException.of(ErrorType.NOT_FOUND, "not implemented yet").build();
    }
}

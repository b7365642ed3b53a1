package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/** Pipeline step of the admin API: only the master key passes; any other key gets 403. */
public final class AdminGuard implements Processor {
    @Override
    public void process(Exchange exchange) {
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        if (caller == null || !caller.admin()) {
            throw GatewayException.of(ErrorType.PERMISSION, "This endpoint needs the master key").code("admin_only").build();
        }
    }
}

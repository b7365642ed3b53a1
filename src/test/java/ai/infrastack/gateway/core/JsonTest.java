package ai.infrastack.gateway.core;

import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

class JsonTest {
    @Test
    void every_request_path_mapper_shares_one_bounded_buffer_pool_not_a_pool_per_virtual_thread() {
        var shared = Json.newMapper().getFactory()._getRecyclerPool();
        assertInstanceOf(JsonRecyclerPools.BoundedPool.class, shared);
        assertSame(shared, Json.plainMapper().getFactory()._getRecyclerPool());
    }
}

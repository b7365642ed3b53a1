package ai.infrastack.gateway.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package structure the README describes, enforced: packages by capability with no cycle
 * between any two of them; {@code core} — the types every step passes along — standing on nothing
 * else of ours; and the sandbox simulating vendors without knowing the gateway it serves.
 */
class ArchitectureTest {
    private static JavaClasses gateway;

    @BeforeAll
    static void importClasses() {
        gateway = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("ai.infrastack.gateway");
    }

    @Test
    void no_package_depends_on_itself_through_another() {
        slices().matching("ai.infrastack.gateway.(**)").should().beFreeOfCycles().check(gateway);
    }

    @Test
    void core_imports_no_other_gateway_package() {
        noClasses().that().resideInAPackage("ai.infrastack.gateway.core..")
                .should().dependOnClassesThat().resideOutsideOfPackages("ai.infrastack.gateway.core..", "java..", "javax..",
                        "com.fasterxml.jackson..", "org.apache.camel..", "org.slf4j..")
                .check(gateway);
    }

    @Test
    void the_sandbox_imports_nothing_of_the_gateway() {
        noClasses().that().resideInAPackage("ai.infrastack.gateway.sandbox..")
                .should().dependOnClassesThat(resideInAPackage("ai.infrastack.gateway..")
                        .and(resideOutsideOfPackage("ai.infrastack.gateway.sandbox..")))
                .check(gateway);
    }
}

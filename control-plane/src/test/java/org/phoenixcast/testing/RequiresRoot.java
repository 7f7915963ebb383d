package org.phoenixcast.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that needs host root and the named tools on PATH. Without them it is skipped with
 * the reason; under {@code CI=true} it fails instead, so CI never goes green by skipping.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresRootCondition.class)
public @interface RequiresRoot {
    /** Executables that must be found on PATH, e.g. {@code unshare}, {@code nsenter}. */
    String[] tools() default {};
}

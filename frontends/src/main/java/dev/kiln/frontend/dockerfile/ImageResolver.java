package dev.kiln.frontend.dockerfile;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * Reads the OCI config document of an image reference ({@code oci-layout://…} or {@code
 * docker-image://…}).
 */
@FunctionalInterface
public interface ImageResolver {
  JsonNode config(String identifier) throws IOException;
}

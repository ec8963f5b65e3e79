package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.engine.registry.ImageReference;
import dev.kiln.exporter.image.ImageOptions;
import dev.kiln.exporter.image.LayerCompression;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class OutputSpecTest {
  private static String error(String spec) {
    return assertThrows(IllegalArgumentException.class, () -> OutputSpec.parse(spec)).getMessage();
  }

  @Test
  void parsesLocalAndTarLikeBuildx() {
    assertEquals(new OutputSpec.Local(Path.of("out")), OutputSpec.parse("type=local,dest=out"));
    assertEquals(new OutputSpec.Tar(Path.of("a.tar")), OutputSpec.parse("dest=a.tar,type=tar"));
    assertEquals(new OutputSpec.Local(Path.of("dir")), OutputSpec.parse("dir"));
  }

  @Test
  void parsesOciAndDockerWithBuildxDefaults() {
    assertEquals(
        new OutputSpec.Oci(Optional.of(Path.of("i.tar")), true, List.of(), ImageOptions.DEFAULTS),
        OutputSpec.parse("type=oci,dest=i.tar"));
    assertEquals(
        new OutputSpec.Oci(
            Optional.of(Path.of("layout")),
            false,
            List.of(ImageReference.parse("app:1")),
            new ImageOptions(LayerCompression.ZSTD, OptionalInt.of(19), true, Optional.empty())),
        OutputSpec.parse(
            "type=oci,dest=layout,tar=false,name=app:1,compression=zstd,compression-level=19"));
    OutputSpec.Docker docker = (OutputSpec.Docker) OutputSpec.parse("type=docker,dest=-");
    assertEquals(Optional.empty(), docker.dest());
    assertFalse(docker.options().ociMediaTypes(), "Docker media types by default");
    assertEquals(
        true,
        ((OutputSpec.Docker) OutputSpec.parse("type=docker,dest=x,oci-mediatypes=true"))
            .options()
            .ociMediaTypes());
  }

  @Test
  void parsesImageAndRegistryAsBuildxDoes() {
    OutputSpec.Image image = (OutputSpec.Image) OutputSpec.parse("type=image,name=app:1");
    assertEquals(List.of(ImageReference.parse("docker.io/library/app:1")), image.names());
    assertEquals(false, image.push());
    assertEquals(true, image.options().ociMediaTypes());
    assertEquals(true, ((OutputSpec.Image) OutputSpec.parse("type=registry,name=app")).push());
    assertEquals(
        false, ((OutputSpec.Image) OutputSpec.parse("type=registry,name=app,push=false")).push());
    assertEquals(
        "--output type=image,dest=x: unknown attribute dest for type=image (known: compression,"
            + " compression-level, name, oci-mediatypes, push)",
        error("type=image,dest=x"));
  }

  @Test
  void rejectsWhatItCannotDoWithTheReason() {
    assertEquals(
        "--output type=zip,dest=x: unknown type \"zip\" (known: local, tar, oci, docker, image, registry)",
        error("type=zip,dest=x"));
    assertEquals("--output type=tar: type=tar needs dest=FILE", error("type=tar"));
    assertEquals(
        "--output dest=x: type is missing (local, tar, oci, docker, image or registry)",
        error("dest=x"));
    assertEquals(
        "--output type=local,dest=x,zip=1: unknown attribute zip for type=local (known: dest)",
        error("type=local,dest=x,zip=1"));
    assertEquals("--output type=local,,dest=x: \"\" is not KEY=VALUE", error("type=local,,dest=x"));
    assertEquals("--output type=local,type=tar: type is given twice", error("type=local,type=tar"));
  }

  @Test
  void rejectsBadImageOptionsNamingTheFlag() {
    assertEquals(
        "--output type=oci: type=oci needs dest=FILE (or dest=- for stdout)", error("type=oci"));
    assertEquals(
        "--output type=oci,dest=x,compression=lz4: compression=lz4: unknown compression (known:"
            + " gzip, zstd, uncompressed)",
        error("type=oci,dest=x,compression=lz4"));
    assertEquals(
        "--output type=oci,dest=x,compression-level=fast: compression-level=fast: not a number",
        error("type=oci,dest=x,compression-level=fast"));
    assertEquals(
        "--output type=oci,dest=x,compression-level=12: compression-level=12: gzip takes a level"
            + " from 0 to 9",
        error("type=oci,dest=x,compression-level=12"));
    assertEquals(
        "--output type=oci,dest=x,tar=no: tar=no: use true or false",
        error("type=oci,dest=x,tar=no"));
    assertEquals(
        "--output type=oci,dest=-,tar=false: tar=false writes a directory: dest=- cannot be one",
        error("type=oci,dest=-,tar=false"));
    assertEquals(
        "--output type=docker,dest=x,tar=false: unknown attribute tar for type=docker (known:"
            + " compression, compression-level, dest, name, oci-mediatypes)",
        error("type=docker,dest=x,tar=false"));
    assertEquals(
        "--output type=oci,dest=x,compression=zstd,oci-mediatypes=false: compression=zstd needs"
            + " OCI media types: drop oci-mediatypes=false or use gzip",
        error("type=oci,dest=x,compression=zstd,oci-mediatypes=false"));
    assertEquals(
        "--output type=oci,dest=x,name=App: invalid reference \"App\": repository name must be"
            + " lowercase",
        error("type=oci,dest=x,name=App"));
  }

  @Test
  void sourceDateEpochIsWholeSecondsOrAClearError() {
    assertEquals(
        Optional.of(Instant.ofEpochSecond(1700000000)),
        SourceDateEpoch.from(name -> name.equals("SOURCE_DATE_EPOCH") ? "1700000000" : null));
    assertEquals(Optional.empty(), SourceDateEpoch.from(name -> null));
    assertEquals(Optional.empty(), SourceDateEpoch.from(name -> ""));
    assertEquals(
        "SOURCE_DATE_EPOCH=yesterday: use a whole number of seconds since 1970-01-01 UTC (as"
            + " `date +%s` prints)",
        assertThrows(IllegalArgumentException.class, () -> SourceDateEpoch.from(n -> "yesterday"))
            .getMessage());
  }
}

package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Optional;

/** One action of a {@link FileOp}. Paths are absolute inside the root filesystem. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "action")
@JsonSubTypes({
  @JsonSubTypes.Type(value = FileAction.Mkdir.class, name = "mkdir"),
  @JsonSubTypes.Type(value = FileAction.Mkfile.class, name = "mkfile"),
  @JsonSubTypes.Type(value = FileAction.Rm.class, name = "rm"),
  @JsonSubTypes.Type(value = FileAction.Copy.class, name = "copy")
})
public sealed interface FileAction {
  String summary();

  /** Makes a directory. */
  record Mkdir(String path, int mode, boolean makeParents, Optional<Owner> owner)
      implements FileAction {
    public Mkdir {
      owner = owner == null ? Optional.empty() : owner;
      mode = mode == 0 ? 0755 : mode;
    }

    @Override
    public String summary() {
      return "mkdir " + path;
    }
  }

  /** Writes a file with the given UTF-8 content. */
  record Mkfile(String path, int mode, String data, Optional<Owner> owner) implements FileAction {
    public Mkfile {
      owner = owner == null ? Optional.empty() : owner;
      mode = mode == 0 ? 0644 : mode;
      data = data == null ? "" : data;
    }

    @Override
    public String summary() {
      return "mkfile " + path;
    }
  }

  /** Removes a file or directory tree. */
  record Rm(String path, boolean allowNotFound, boolean allowWildcard) implements FileAction {
    @Override
    public String summary() {
      return "rm " + path;
    }
  }

  /** Copies from the root filesystem of input {@code input} into this op's filesystem. */
  record Copy(
      int input,
      String src,
      String dest,
      Optional<Owner> owner,
      Optional<Integer> mode,
      boolean followSymlinks,
      boolean dirContentsOnly,
      boolean createDestPath,
      boolean allowWildcard,
      boolean allowEmptyWildcard,
      List<String> includePatterns,
      List<String> excludePatterns,
      // These two are omitted from JSON when false, so that older copies keep their digests.
      @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean attemptUnpack,
      @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean keepParents)
      implements FileAction {
    public Copy {
      owner = owner == null ? Optional.empty() : owner;
      mode = mode == null ? Optional.empty() : mode;
      includePatterns = includePatterns == null ? List.of() : List.copyOf(includePatterns);
      excludePatterns = excludePatterns == null ? List.of() : List.copyOf(excludePatterns);
    }

    /** A copy that never unpacks archives. */
    public Copy(
        int input,
        String src,
        String dest,
        Optional<Owner> owner,
        Optional<Integer> mode,
        boolean followSymlinks,
        boolean dirContentsOnly,
        boolean createDestPath,
        boolean allowWildcard,
        boolean allowEmptyWildcard,
        List<String> includePatterns,
        List<String> excludePatterns) {
      this(
          input,
          src,
          dest,
          owner,
          mode,
          followSymlinks,
          dirContentsOnly,
          createDestPath,
          allowWildcard,
          allowEmptyWildcard,
          includePatterns,
          excludePatterns,
          false,
          false);
    }

    /** The same copy, unpacking a local tar archive (plain, gzip, bzip2 or zstd) as ADD does. */
    public Copy unpacking() {
      return withFlags(true, keepParents);
    }

    /**
     * The same copy keeping each source's parent directories under the destination ({@code COPY
     * --parents}); a {@code /./} in the source marks where the kept part starts.
     */
    public Copy keepingParents() {
      return withFlags(attemptUnpack, true);
    }

    private Copy withFlags(boolean unpack, boolean parents) {
      return new Copy(
          input,
          src,
          dest,
          owner,
          mode,
          followSymlinks,
          dirContentsOnly,
          createDestPath,
          allowWildcard,
          allowEmptyWildcard,
          includePatterns,
          excludePatterns,
          unpack,
          parents);
    }

    /**
     * A copy as Dockerfile's COPY makes it: symlinks followed at the source, a directory's contents
     * copied, missing destination parents made, no wildcards, owner and mode kept.
     */
    public static Copy of(int input, String src, String dest) {
      return new Copy(
          input,
          src,
          dest,
          Optional.empty(),
          Optional.empty(),
          true,
          true,
          true,
          false,
          false,
          List.of(),
          List.of());
    }

    @Override
    public String summary() {
      return "copy " + src + " " + dest;
    }
  }
}

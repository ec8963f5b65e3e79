package dev.kiln.frontend.dockerfile.parser;

/**
 * A heredoc of an instruction ({@code <<EOF}, {@code <<-EOF}, {@code <<"EOF"}): its delimiter name,
 * its content (with the trailing newline), whether variables in it are expanded (unquoted
 * delimiter) and whether leading tabs were stripped ({@code <<-}).
 */
public record Heredoc(String name, String content, boolean expand, boolean chomp) {}

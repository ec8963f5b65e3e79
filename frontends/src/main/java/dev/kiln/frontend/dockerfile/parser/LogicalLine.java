package dev.kiln.frontend.dockerfile.parser;

/** One instruction's text after joining continuation lines, and the lines it came from. */
record LogicalLine(String text, int startLine, int endLine) {}

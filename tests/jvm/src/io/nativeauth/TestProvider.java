// SPDX-License-Identifier: Apache-2.0
// The dev provider (tests/support/provider/server.js) as a child process, as tests/capi/support.c runs it.
package io.nativeauth;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts {@code node server.js --port 0 --events-file F}, waits for its one ready line on stdout (no sleeps),
 * and keeps its stdin open: it stops when stdin closes. Also asks its userinfo endpoint and counts grants in
 * its events file.
 */
final class TestProvider implements AutoCloseable {
  private final Process process;
  private final Path eventsFile;
  private final Path logFile;
  final String issuer;
  final int port;

  TestProvider(Path dir, String... extraArgs) throws Exception {
    eventsFile = dir.resolve("provider-events.jsonl");
    logFile = dir.resolve("provider.log");
    String script = TestSupport.supportDir().resolve("provider/server.js").toString();
    List<String> command = new ArrayList<>(List.of("node", script, "--port", "0", "--events-file", eventsFile.toString()));
    command.addAll(List.of(extraArgs));
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(logFile.toFile());
    pb.environment().remove("LD_PRELOAD"); // the sanitizer build preloads ASan into this JVM only
    process = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return null;
      }
    });
    String line;
    try {
      line = ready.get(TestSupport.providerStartSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      line = null;
    }
    Matcher m = line == null ? null : Pattern.compile("\"issuer\":\"([^\"]+)\",\"port\":(\\d+)").matcher(line);
    if (m == null || !m.find()) {
      close();
      throw new IllegalStateException("the provider did not start (ready line: " + line + "); its stderr:\n"
                                      + Files.readString(logFile));
    }
    issuer = m.group(1);
    port = Integer.parseInt(m.group(2));
  }

  /** Successful grants of {@code grantType} so far ("refresh_token", "authorization_code"). */
  int grants(String grantType) throws IOException {
    if (!Files.exists(eventsFile)) return 0;
    int n = 0;
    for (String line : Files.readAllLines(eventsFile)) {
      if (line.contains("\"event\":\"grant.success\"") && line.contains("\"grant_type\":\"" + grantType + "\"")) ++n;
    }
    return n;
  }

  /** The userinfo endpoint's answer to a bearer token: status and body. */
  HttpResponse<String> userinfo(String accessToken) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI metadata = URI.create(issuer + "/.well-known/openid-configuration");
    String discovery = http.send(HttpRequest.newBuilder(metadata).build(), HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("\"userinfo_endpoint\":\"([^\"]+)\"").matcher(discovery);
    if (!m.find()) throw new IllegalStateException("no userinfo_endpoint in the provider's metadata");
    HttpRequest request = HttpRequest.newBuilder(URI.create(m.group(1)))
                              .header("Authorization", "Bearer " + accessToken).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws IOException {
    process.getOutputStream().close(); // it exits on EOF
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}

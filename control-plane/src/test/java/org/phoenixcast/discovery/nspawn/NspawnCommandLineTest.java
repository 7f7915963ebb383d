package org.phoenixcast.discovery.nspawn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NspawnCommandLineTest {

    private static List<String> argv(String line) {
        List<String> args = new ArrayList<>(List.of("systemd-nspawn"));
        args.addAll(List.of(line.split(" ")));
        return args;
    }

    static Stream<Arguments> named() {
        return Stream.of(
                Arguments.of("--register=no --keep-unit -D /srv/ct/rootfs -M web /sbin/init", "web"),
                Arguments.of("-Mweb -D /x /sbin/init", "web"),
                Arguments.of("--machine web -D /x", "web"),
                Arguments.of("--machine=web -D /x", "web"),
                Arguments.of("--mach=web -D /x", "web"), // getopt accepts a unique prefix
                Arguments.of("-qUM web -D /x", "web"), // clustered short options
                Arguments.of("-UqD/srv/x -M web", "web"),
                Arguments.of("-M first -M web -D /x", "web"), // the last one wins, as in nspawn
                Arguments.of("--bind /a:/b -M web -D /x", "web"),
                Arguments.of("--bind -M -M web -D /x", "web"), // "-M" is --bind's argument here
                Arguments.of("--private-users=pick --volatile=state -M web -D /x", "web"),
                Arguments.of("--private-users -M web -D /x", "web"), // optional argument: only with '='
                Arguments.of("-D /var/lib/machines/db/", "db"), // no -M: the directory's last component
                Arguments.of("--directory=/var/lib/machines/db", "db"),
                Arguments.of("-i /images/app.raw", "app"),
                Arguments.of("-x -M web -D /x", "web"),
                Arguments.of("-D /x -M web /bin/sh -c -M", "web"), // the command's arguments are not nspawn's
                Arguments.of("-M web -- -D /y", "web"));
    }

    @ParameterizedTest
    @MethodSource("named")
    void findsTheMachineNameAsGetoptWould(String args, String name) {
        assertThat(NspawnCommandLine.machineName(argv(args), "/root").machine()).contains(name);
    }

    @Test
    void usesTheWorkingDirectoryWithoutMOrD() {
        assertThat(NspawnCommandLine.machineName(argv("--register=no /sbin/init"), "/var/lib/machines/cwd").machine())
                .contains("cwd");
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("-x -D /var/lib/machines/db", "random suffix"),
                Arguments.of("-D /", "host"),
                Arguments.of("--net=x -M web", "ambiguous"),
                Arguments.of("--no-such-option -M web", "unknown"),
                Arguments.of("-Y -M web", "unknown option"),
                Arguments.of("-M", "without its argument"),
                Arguments.of("--machine", "without its argument"),
                Arguments.of("--keep-unit=yes -M web", "takes no argument"),
                Arguments.of("--oci-bundle=/b", "oci-bundle"),
                Arguments.of("-M= -D /x", null)); // "-M=" names the machine "=", which propagate/ must then show
    }

    @ParameterizedTest
    @MethodSource("refused")
    void saysWhyItHasNoName(String args, String reason) {
        NspawnCommandLine.Result r = NspawnCommandLine.machineName(argv(args), "/root");
        if (reason == null) {
            assertThat(r.machine()).contains("=");
            return;
        }
        assertThat(r.machine()).isEmpty();
        assertThat(r.problem()).contains(reason);
    }

    @Test
    void refusesAnEmptyName() {
        assertThat(NspawnCommandLine.machineName(List.of("systemd-nspawn", "--machine=", "-D", "/x"), "/").machine())
                .isEqualTo(Optional.empty());
    }

    @Test
    void prefixesResolveOnlyWhenUnique() {
        assertThat(NspawnCommandLine.longOption("machine")).contains("machine");
        assertThat(NspawnCommandLine.longOption("network-veth")).contains("network-veth"); // exact beats prefix
        assertThat(NspawnCommandLine.longOption("network-v")).isEmpty();
        assertThat(NspawnCommandLine.longOption("")).isEmpty();
    }
}

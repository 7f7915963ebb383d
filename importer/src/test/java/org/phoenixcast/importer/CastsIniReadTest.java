package org.phoenixcast.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** casts.ini snippets: what each valid one means, and what each invalid one is told. */
class CastsIniReadTest {

    static Stream<Arguments> validInputs() {
        return Stream.of(
                arguments("an empty file", "", CastsConfig.empty()),
                arguments("comments only", "; semicolon\n# hash\n", CastsConfig.empty()),
                arguments("an empty section is a container", "[106]\n",
                        config(List.of(), List.of(), List.of(), List.of(), Set.of("106"))),
                arguments("CT alone offers at the same path", "[104]\n/srv/a = 103\n",
                        offers(new Offer("104", "/srv/a", "103", "/srv/a", false))),
                arguments("(ro) on an offer, spaces around items", "[104]\n/srv/a =  103:/mnt/a(ro) , 105 (ro)\n",
                        offers(new Offer("104", "/srv/a", "103", "/mnt/a", true),
                                new Offer("104", "/srv/a", "105", "/srv/a", true))),
                arguments("the same offer as _offered and in the owner's section is one offer",
                        "[104]\n/srv/a = 103:/srv/a(ro)\n[103]\n_offered = 104:/srv/a(ro)\n",
                        offers(new Offer("104", "/srv/a", "103", "/srv/a", true))),
                arguments("the host offers through _offered", "[103]\n_offered = host:/opt(ro)\n",
                        offers(new Offer("host", "/opt", "103", "/opt", true))),
                arguments("None and All are case-insensitive", "[103]\n_accepted = NONE\n_blocked = all\n",
                        config(List.of(), List.of(), List.of(Block.all("103")), List.of(), Set.of("103"))),
                arguments("acceptances from containers and the host",
                        "[103]\n_accepted = 104:/var/tmp, host:/usr/portage\n",
                        config(List.of(), List.of(new Acceptance("103", "104", "/var/tmp"),
                                new Acceptance("103", "host", "/usr/portage")), List.of(), List.of(), Set.of())),
                arguments("several blocked paths", "[103]\n_blocked = /srv,/home/x\n",
                        config(List.of(), List.of(), List.of(new Block("103", "/srv"), new Block("103", "/home/x")),
                                List.of(), Set.of())),
                arguments("disabled verbs, any case", "[103]\n_disabled = cast, UCAST\n",
                        config(List.of(), List.of(), List.of(), List.of(new DisabledVerb("103", "cast"),
                                new DisabledVerb("103", "ucast")), Set.of())),
                arguments("a publisher without a section", "[published]\nweb-1 = /srv/www(ro)\n",
                        offers(Offer.published("web-1", "/srv/www", true))),
                arguments("the root path may be offered", "[104]\n/ = 103:/mnt/104\n",
                        offers(new Offer("104", "/", "103", "/mnt/104", false))),
                arguments("'=' may appear in a value only as the key ends", "[104]\n/srv/a=103\n",
                        offers(new Offer("104", "/srv/a", "103", "/srv/a", false))));
    }

    static Stream<Arguments> invalidInputs() {
        return Stream.of(
                arguments("[104]\n/var/tmp = x:relative\n",
                        "casts.ini [104] /var/tmp: invalid target 'x:relative': path must be absolute"),
                arguments("[104]\nvar/tmp = 103\n", "casts.ini [104] var/tmp: invalid key 'var/tmp'"),
                arguments("[103]\n_accepted = 104:var/tmp\n",
                        "casts.ini [103] _accepted: invalid path '104:var/tmp': path must be absolute"),
                arguments("[103]\n_blocked = tmp\n",
                        "casts.ini [103] _blocked: invalid path 'tmp': path must be absolute"),
                arguments("[104]\n/var/../etc = 103\n",
                        "casts.ini [104] /var/../etc: invalid source path '/var/../etc': path contains '..'"),
                arguments("[104]\n/var/tmp = 103:/mnt/../etc\n",
                        "invalid target '103:/mnt/../etc': path contains '..'"),
                arguments("[published]\nhost = /usr/./portage\n", "casts.ini [published] host: invalid path"
                        + " '/usr/./portage': path contains '.'"),
                arguments("[104]\n/var/tmp/ = 103\n", "path must not end with '/'"),
                arguments("[104]\n/var//tmp = 103\n", "path contains '//'"),
                arguments("[-104]\n", "casts.ini [-104]: invalid section name '-104': a container name is 1-64"),
                arguments("[a b]\n", "casts.ini [a b]: invalid section name 'a b'"),
                arguments("[" + "x".repeat(65) + "]\n", "invalid section name"),
                arguments("[104]\n/srv = bad!name\n", "casts.ini [104] /srv: invalid receiver 'bad!name'"),
                arguments("[104]\n/srv = host\n", "invalid receiver 'host': 'host' is reserved for the host"),
                arguments("[104]\n/srv = 104:/x\n", "invalid receiver '104:/x': a container cannot offer to itself"),
                arguments("[103]\n_accepted = bad@name:/x\n", "casts.ini [103] _accepted: invalid source"),
                arguments("[published]\n-x = /srv\n", "casts.ini [published] -x: invalid owner '-x'"),
                arguments("[host]\n/usr = 103\n", "casts.ini [host]: 'host' is reserved for the host"),
                arguments("[104]\n_foo = bar\n", "casts.ini [104] _foo: unknown key"),
                arguments("[104]\n_Accepted = None\n", "casts.ini [104] _Accepted: unknown key"),
                arguments("[104]\n/srv = 103(rw)\n", "casts.ini [104] /srv: invalid suffix '(rw)' in '103(rw)':"
                        + " only (ro) is allowed"),
                arguments("[published]\nhost = /usr/portage(RO)\n", "invalid suffix '(RO)'"),
                arguments("[103]\n_offered = 104:/x(rw)\n", "casts.ini [103] _offered: invalid suffix '(rw)'"),
                arguments("[103]\n_accepted = 104:/x(ro)\n", "casts.ini [103] _accepted: unexpected suffix '(ro)'"),
                arguments("[103]\n_blocked = /x(ro)\n", "unexpected suffix '(ro)' in '/x(ro)'"),
                arguments("[104]\n/srv = 103,,105\n", "casts.ini [104] /srv: empty item in '103,,105'"),
                arguments("[104]\n/srv = 103,\n", "empty item in '103,'"),
                arguments("[published]\nhost = , /usr\n", "casts.ini [published] host: empty item"),
                arguments("[104]\n/srv =\n", "casts.ini [104] /srv: empty value"),
                arguments("[103]\n_accepted =\n", "casts.ini [103] _accepted: empty value: write None"),
                arguments("[104]\n104:/var/tmp = 103\n", "casts.ini [104] 104:/var/tmp: key contains ':'"),
                arguments("[104]\n/a:b = 103\n", "casts.ini [104] /a:b: key contains ':'"),
                arguments("[104]\n103:/var/tmp\n", "casts.ini [104] 103:/var/tmp: key contains ':'"),
                arguments("[104]\n/srv = 103:/a:b\n", "path contains ':'"),
                arguments("[103]\n_blocked = All, /srv\n", "casts.ini [103] _blocked: 'All' must stand alone"),
                arguments("[103]\n_accepted = None, 104:/x\n", "'None' must stand alone"),
                arguments("[103]\n_accepted = 104\n", "invalid item '104': expected SOURCE:PATH"),
                arguments("[103]\n_accepted = 103:/x\n", "invalid source '103:/x': 103 cannot share with itself"),
                arguments("[103]\n_disabled = mount\n", "casts.ini [103] _disabled: invalid verb 'mount'"),
                arguments("[104]\n/srv = 103\n/srv = 105\n", "casts.ini [104] /srv: key appears more than once"),
                arguments("[104]\n[104]\n", "casts.ini [104]: section appears more than once"),
                arguments("[104]\n/srv = 103:/a\n[103]\n_offered = 104:/srv\n",
                        "casts.ini [103] _offered: conflicting offer '104:/srv': [104] /srv offers 104:/srv to 103"
                                + " at /a read-write"),
                arguments("[104]\n/srv = 103, 103(ro)\n", "conflicting offer '103(ro)'"),
                arguments("/srv = 103\n", "casts.ini: cannot read parse error"),
                arguments("[104]\n/srv\n", "casts.ini [104]: cannot read parse error (at line: 2)"),
                arguments("[104]\n/srv\u0007 = 103\n",
                        "casts.ini [104]: line 2 contains a control character: '/srv\\x07 = 103'"),
                arguments("[104]\n/srv = 103:/a\u0085b\n", "line 2 contains a control character"),
                arguments("[104]\n/" + "a".repeat(256) + " = 103\n", "component longer than 255 bytes"),
                arguments("[104]\n/srv = 103:/" + "a/".repeat(2048) + "b\n", "longer than 4095 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validInputs")
    void readsValidInput(String description, String ini, CastsConfig expected) throws IOException {
        assertThat(read(ini)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidInputs")
    void refusesInvalidInputNamingWhereAndWhy(String ini, String messageFragment) {
        assertThatThrownBy(() -> read(ini))
                .isInstanceOf(CastsIniException.class)
                .hasMessageContaining(messageFragment);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validInputs")
    void everyValidInputSurvivesARoundTrip(String description, String ini, CastsConfig expected)
            throws IOException {
        assertThat(RoundTripTest.roundTrip(read(ini))).isEqualTo(expected);
    }

    private static CastsConfig read(String ini) throws IOException {
        return CastsIni.read(new StringReader(ini));
    }

    private static CastsConfig offers(Offer... offers) {
        return config(List.of(offers), List.of(), List.of(), List.of(), Set.of());
    }

    private static CastsConfig config(List<Offer> offers, List<Acceptance> acceptances, List<Block> blocks,
            List<DisabledVerb> disabled, Set<String> containers) {
        return new CastsConfig(offers, acceptances, blocks, disabled, containers);
    }
}

package org.phoenixcast.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Printable;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;

/**
 * Parses one request line (the command's arguments, separated by spaces or tabs) for a verb.
 * Pure; every refusal is an IllegalArgumentException whose message names the offending input
 * and is fit to send to the guest as a one-line reply.
 */
public final class CommandParser {
    /** A request line longer than this is refused before it is split. */
    public static final int MAX_LINE_CHARS = 8192;

    private CommandParser() {}

    public static Command parse(Verb verb, String untrustedLine) {
        if (untrustedLine.length() > MAX_LINE_CHARS) {
            throw new IllegalArgumentException("request line longer than " + MAX_LINE_CHARS + " characters");
        }
        List<String> args = split(untrustedLine);
        return switch (verb) {
            case CAST -> cast(args);
            case UCAST -> ucast(args);
            case CASTON -> caston(args);
            case CASTOFF -> castoff(args);
            case CASTBLOCK -> castblock(args);
            case SHOWCAST -> showcast(args);
        };
    }

    static List<String> split(String line) {
        List<String> args = new ArrayList<>();
        for (String part : line.split("[ \\t]+")) {
            if (!part.isEmpty()) args.add(part);
        }
        return args;
    }

    private static Command cast(List<String> args) {
        Access access = Access.READ_WRITE;
        List<String> rest = args;
        if (!rest.isEmpty() && rest.get(0).equals("--ro")) {
            access = Access.READ_ONLY;
            rest = rest.subList(1, rest.size());
        }
        rejectOptions(rest);
        arity("cast [--ro] DIR [CT[:TARGET]]", rest, 1, 2);
        GuestPath dir = GuestPath.parse(rest.get(0));
        if (rest.size() == 1) return new Command.Cast(dir, Optional.empty(), Optional.empty(), access);
        String to = rest.get(1);
        int colon = to.indexOf(":/"); // CT may be qualified (docker:web); TARGET starts with '/'
        if (colon < 0 && !ContainerName.isValid(to)) colon = to.lastIndexOf(':'); // CT:relative: the path is refused
        ContainerName receiver = ContainerName.parse(colon < 0 ? to : to.substring(0, colon));
        Optional<GuestPath> target = colon < 0 ? Optional.empty() : Optional.of(GuestPath.parse(to.substring(colon + 1)));
        return new Command.Cast(dir, Optional.of(receiver), target, access);
    }

    private static Command ucast(List<String> args) {
        rejectOptions(args);
        arity("ucast DIR [CT]", args, 1, 2);
        GuestPath dir = GuestPath.parse(args.get(0));
        Optional<ContainerName> receiver = args.size() == 2 ? Optional.of(ContainerName.parse(args.get(1))) : Optional.empty();
        return new Command.Ucast(dir, receiver);
    }

    private static Command caston(List<String> args) {
        rejectOptions(args);
        arity("caston [SRC:PATH]", args, 0, 1);
        return new Command.Caston(args.isEmpty() ? Optional.empty() : Optional.of(SourceRef.parse(args.get(0))));
    }

    private static Command castoff(List<String> args) {
        rejectOptions(args);
        arity("castoff [PATH | SRC:PATH]", args, 0, 1);
        if (args.isEmpty()) return new Command.Castoff(new Command.Selector.Everything());
        String arg = args.get(0);
        if (arg.startsWith("/")) return new Command.Castoff(new Command.Selector.ByTarget(GuestPath.parse(arg)));
        return new Command.Castoff(new Command.Selector.BySource(SourceRef.parse(arg)));
    }

    private static Command castblock(List<String> args) {
        boolean lift = !args.isEmpty() && args.get(0).equals("-u");
        List<String> rest = lift ? args.subList(1, args.size()) : args;
        rejectOptions(rest);
        arity("castblock [-u] [PATH]", rest, 0, 1);
        return new Command.Castblock(lift, rest.isEmpty() ? Optional.empty() : Optional.of(GuestPath.parse(rest.get(0))));
    }

    private static Command showcast(List<String> args) {
        boolean all = !args.isEmpty() && args.get(0).equals("-a");
        List<String> rest = all ? args.subList(1, args.size()) : args;
        rejectOptions(rest);
        arity("showcast [-a]", rest, 0, 0);
        return new Command.Showcast(all);
    }

    private static void rejectOptions(List<String> args) {
        for (String a : args) {
            if (a.startsWith("-")) throw new IllegalArgumentException("unknown option " + Printable.quote(a));
        }
    }

    private static void arity(String usage, List<String> args, int min, int max) {
        if (args.size() < min) throw new IllegalArgumentException("missing argument; usage: " + usage);
        if (args.size() > max) {
            throw new IllegalArgumentException("unexpected argument " + Printable.quote(args.get(max)) + "; usage: " + usage);
        }
    }
}

// A small HL7 v2 message parser (versions 2.5–2.8 as IHE PCD uses them) and the acknowledgements the agent answers
// with. Parsing only splits and unescapes; what the fields mean is agents/hl7/mapping.h's business.
#ifndef PUMPTRACK_AGENTS_HL7_MESSAGE_H_
#define PUMPTRACK_AGENTS_HL7_MESSAGE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pumptrack::agents::hl7 {

// The delimiters a message declares in MSH-1 (field) and MSH-2 (component, repetition, escape, subcomponent).
struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
};

// Where a field is, as HL7 numbers it, for ERR-2: the segment id, its 1-based occurrence among segments with that id,
// and the 1-based field position (0 for the segment as a whole).
struct FieldLocation {
  std::string segment;
  int occurrence = 1;
  int field = 0;
};

// One segment: its id and its fields, kept escaped as received. fields[0] is the id; for MSH, fields[1] is MSH-1 (the
// field separator) and fields[2] MSH-2 (the encoding characters), so that fields[n] is always field n.
struct Segment {
  std::string id;
  int occurrence = 1;  // among segments with the same id in this message, from 1
  std::vector<std::string> fields;
};

// A parsed message. Accessors return unescaped text and "" for anything absent (HL7 treats an absent and an empty
// value alike; the explicit null "" is also returned as "").
class Message {
 public:
  // Parses one message (the bytes between MLLP's start and end blocks). Segments end with CR; LF and CR LF are
  // accepted too, and empty lines are skipped. INVALID_ARGUMENT naming the segment and field when the text does not
  // start with an MSH segment or MSH-2 is malformed; anything after that parses (unknown segments are kept).
  static absl::StatusOr<Message> Parse(absl::string_view text);

  const Delimiters& delimiters() const { return delimiters_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const Segment& msh() const { return segments_.front(); }

  // Field `field` (1-based) of `segment`, still escaped, all repetitions; "" when absent.
  static absl::string_view RawField(const Segment& segment, int field);
  // The repetitions of a field, each still escaped. An absent field has none.
  std::vector<absl::string_view> Repetitions(const Segment& segment, int field) const;
  // Component `component` (1-based) of one repetition's text, unescaped; "" when absent.
  std::string Component(absl::string_view repetition, int component) const;
  // Subcomponent `subcomponent` (1-based) of component `component` of a repetition, unescaped.
  std::string Subcomponent(absl::string_view repetition, int component, int subcomponent) const;
  // Component `component` of the first repetition of field `field`, unescaped: the common case.
  std::string Get(const Segment& segment, int field, int component = 1) const;

  // Replaces the escape sequences of `text`: \F\ \S\ \T\ \R\ \E\ by the delimiters, \Xhh...\ by the bytes it spells;
  // formatting sequences (\H\, \N\, \.br\ ...) and unknown ones are dropped; an unterminated escape is kept literally.
  std::string Unescape(absl::string_view text) const;
  // The reverse for text this agent writes into a message (ERR-8, echoed values).
  std::string Escape(absl::string_view text) const;

 private:
  Message() = default;
  Delimiters delimiters_;
  std::vector<Segment> segments_;
};

// The acknowledgement code of MSA-1: original mode AA/AE/AR, enhanced mode's accept acknowledgement CA/CE/CR.
enum class AckCode { kAccept, kError, kReject };

// Why a message was not accepted, for ERR: where, HL7 table 0357's error code, and a human-readable reason.
struct Rejection {
  AckCode code = AckCode::kError;
  FieldLocation location;
  int hl7_error = 207;  // 0357: 100 segment sequence, 101 required field missing, 102 data type, 103 table value
                        // not found, 200 unsupported message type, 207 application internal error
  std::string reason;
};

// What the sender asked for in MSH-15 (accept ack type) and MSH-16 (application ack type): original mode when both
// are empty, else enhanced mode.
struct AckRequest {
  bool enhanced = false;
  std::string accept_type;       // AL, NE, ER, SU (enhanced only)
  std::string application_type;  // AL, NE, ER, SU (enhanced only)
};
AckRequest AckRequestOf(const Message& message);

// Whether an acknowledgement with `code` is to be sent for `request` (original mode: always; enhanced: as MSH-15
// asks, or, when MSH-15 asks for none, as MSH-16 asks), and whether it is an accept (C*) or application (A*) ack.
struct AckPlan {
  bool send = false;
  bool commit_codes = false;  // CA/CE/CR instead of AA/AE/AR
};
AckPlan PlanAck(const AckRequest& request, AckCode code);

// Builds the ACK for `message`: MSH (sender and receiver swapped, the message's own delimiters and version,
// MSH-9 ACK^<trigger>^ACK, MSH-10 `control_id`), MSA (code, MSH-10 of `message`) and, for a rejection, ERR.
// Segments end with CR. `rejection` is null for AA/CA.
std::string BuildAck(const Message& message, const AckPlan& plan, const Rejection* rejection,
                     absl::string_view control_id, absl::Time now);

// An ACK for bytes that did not parse as a message at all (no usable MSH): default delimiters, MSA-2 empty.
std::string BuildAckForUnparsable(absl::string_view reason, absl::string_view control_id, absl::Time now);

}  // namespace pumptrack::agents::hl7

#endif  // PUMPTRACK_AGENTS_HL7_MESSAGE_H_

//! A call's journey once Vonage asks the answer webhook what to do: the
//! ticket it must carry, the guard that admits it, the opening hours, the
//! words it hears, the ring list and voicemail.

pub mod answer;
pub mod guard;
pub mod hours;
pub mod line;
pub mod ring;
pub mod speech;
pub mod ticket;
pub mod voicemail;
pub mod whisper;

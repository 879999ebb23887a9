package verifier

import (
	"context"
	"time"
	"unicode/utf8"
)

// ReviewState is where an auditor's review of a duplicate group stands.
type ReviewState string

const (
	ReviewOpen      ReviewState = "open"
	ReviewConfirmed ReviewState = "confirmed" // a double payment to recover
	ReviewDismissed ReviewState = "dismissed" // legitimate (referral, emergency, …)
)

// MaxReviewNote bounds a review's note, in characters.
const MaxReviewNote = 1000

// Review is an auditor's judgement of one duplicate group, kept with the
// group for as long as the group is kept.
type Review struct {
	State ReviewState `json:"state"`
	Note  string      `json:"note,omitempty"`
	By    string      `json:"by"` // the API key's name
	At    time.Time   `json:"at"`
}

// ReviewStore keeps reviews with their duplicate groups; the ledger's
// Duplicates answers them as DuplicateGroup.Review.
type ReviewStore interface {
	// SetReview stores r with the citizen's group of day, replacing any
	// earlier review. A day without a group is KindNotFound.
	SetReview(ctx context.Context, id CitizenID, day string, r Review) error
}

// ReviewRequest is an auditor's review of a group.
type ReviewRequest struct {
	CitizenID CitizenID
	Day       string
	State     string
	Note      string
	By        string
}

// SetReview records an auditor's review of a duplicate group.
func (s *Service) SetReview(ctx context.Context, req ReviewRequest) (Review, error) {
	if s.Reviews == nil {
		return Review{}, Errorf(KindUnavailable, "reviews_unavailable", "this server keeps no reviews")
	}
	if _, err := parseDay(req.Day, "day"); err != nil {
		return Review{}, err
	}
	switch ReviewState(req.State) {
	case ReviewOpen, ReviewConfirmed, ReviewDismissed:
	default:
		return Review{}, Errorf(KindUnprocessable, "invalid_review_state", "state must be open, confirmed or dismissed")
	}
	if !utf8.ValidString(req.Note) || utf8.RuneCountInString(req.Note) > MaxReviewNote {
		return Review{}, Errorf(KindUnprocessable, "invalid_note", "note must be UTF-8 text of at most %d characters", MaxReviewNote)
	}
	r := Review{State: ReviewState(req.State), Note: req.Note, By: req.By, At: s.Now().In(s.Location)}
	if err := s.Reviews.SetReview(ctx, req.CitizenID, req.Day, r); err != nil {
		return Review{}, err
	}
	return r, nil
}

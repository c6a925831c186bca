// SPDX-License-Identifier: Apache-2.0
// The Qt sample's window: buttons that call the controller, labels that show what it says. No logic, no
// SDK call: everything that can block or decide lives in SessionController.
#pragma once

#include "session_controller.hpp"

#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTimer>
#include <QWidget>

namespace qtsample {

/// Buttons "Sign in", "Cancel", "Call API", "Sign out", "Sign out of all apps"; the user's name, the access
/// token's remaining lifetime (never the token) and a status area. Object names (sign_in, cancel, call_api,
/// sign_out, sign_out_all, name, lifetime, state, status) let tests find the widgets.
class MainWindow : public QWidget {
  Q_OBJECT

 public:
  /// Shows `controller`, which must outlive the window.
  explicit MainWindow(SessionController &controller, QWidget *parent = nullptr);

 private:
  void update_buttons(SessionController::State state);
  void update_session();
  void append_status(const QString &line);

  SessionController &controller_;
  QLabel *state_ = nullptr;
  QLabel *name_ = nullptr;
  QLabel *lifetime_ = nullptr;
  QPushButton *sign_in_ = nullptr;
  QPushButton *cancel_ = nullptr;
  QPushButton *call_api_ = nullptr;
  QPushButton *sign_out_ = nullptr;
  QPushButton *sign_out_all_ = nullptr;
  QPlainTextEdit *status_ = nullptr;
  QTimer countdown_;  ///< the remaining lifetime, once a second
};

}  // namespace qtsample
